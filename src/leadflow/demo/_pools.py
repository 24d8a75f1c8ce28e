"""Names, places, companies and phone plans the demo and the generator draw from.

Everything here is ASCII where it ends up in an email address, and every
domain is under `.example` (RFC 2606), so no generated address can reach a
real mailbox. Phone numbers use the ranges set aside for fiction where a
country has one (555-01xx in North America, Ofcom's drama ranges in the UK).
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_NAMES: tuple[str, ...] = (
    "Maria", "James", "Anna", "David", "Laura", "Michael", "Sofia", "Daniel", "Emma", "Thomas",
    "Elena", "Robert", "Julia", "John", "Sarah", "Peter", "Olga", "Mark", "Linh", "Minh", "Aino",
    "Mikko", "Eleni", "Giorgos", "Ines", "Xoan", "Carmen", "Pablo", "Lucia", "Javier", "Hanna",
    "Jukka", "Ivan", "Natalia", "Dmitri", "Katerina", "Nikos", "Sophie", "Pierre", "Claire",
    "Louis", "Camille", "Hugo", "Lea", "Lukas", "Lena", "Felix", "Mia", "Jonas", "Lisa", "Jan",
    "Eva", "Lars", "Ingrid", "Erik", "Astrid", "Oliver", "Charlotte", "George", "Amelia", "Harry",
    "Isla", "Jack", "Grace", "Noah", "Olivia", "Liam", "Ava", "Ethan", "Chloe", "Lucas", "Zoe",
    "Mateo", "Valentina", "Diego", "Isabel", "Rahul", "Priya", "Arjun", "Ananya", "Vikram",
    "Deepa", "Kenji", "Yuki", "Haruto", "Sakura", "Hiroshi", "Aiko", "Anh", "Huong", "Tuan", "Mai",
    "Quang", "Thao", "Ville", "Sanna", "Antti", "Kaisa", "Matti", "Riikka", "Dimitra", "Yannis",
    "Maria Jose", "Brais", "Uxia", "Antia", "Iago", "Noa", "Sergei", "Irina", "Alexei", "Tatiana",
    "Ahmed", "Fatima", "Omar", "Leila", "Samuel", "Ruth", "Benjamin", "Hannah", "Martin", "Monika",
    "Paul", "Susan", "Kevin", "Nicole", "Brian", "Rachel", "Steven", "Megan", "Andrew", "Emily",
    "Joseph", "Jessica", "Chris", "Ashley", "Ryan", "Amanda", "Patrick", "Siobhan", "Sean",
    "Aoife", "Marco", "Giulia", "Luca", "Francesca",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Garcia", "Nguyen", "Muller", "Johnson", "Martin", "Rodriguez", "Brown", "Schmidt",
    "Tran", "Williams", "Fernandez", "Jones", "Virtanen", "Lopez", "Miller", "Papadopoulos",
    "Schneider", "Le", "Davis", "Bernard", "Gonzalez", "Korhonen", "Wilson", "Fischer", "Pham",
    "Taylor", "Dubois", "Sanchez", "Anderson", "Ivanov", "Weber", "Hoang", "Thomas", "Moreau",
    "Perez", "Nieminen", "Jackson", "Meyer", "Huynh", "White", "Laurent", "Martinez", "Harris",
    "Wagner", "Phan", "Clark", "Simon", "Gomez", "Makinen", "Lewis", "Becker", "Vu", "Robinson",
    "Michel", "Diaz", "Walker", "Schulz", "Dang", "Young", "Lefebvre", "Alvarez", "Hamalainen",
    "Allen", "Hoffmann", "Bui", "King", "Leroy", "Romero", "Wright", "Koch", "Do", "Scott", "Roux",
    "Castro", "Laine", "Green", "Richter", "Ho", "Baker", "Fournier", "Otero", "Adams", "Klein",
    "Ngo", "Nelson", "Girard", "Varela", "Heikkinen", "Hill", "Wolf", "Duong", "Campbell",
    "Bonnet", "Rey", "Mitchell", "Neumann", "Ly", "Roberts", "Dupont", "Pereira", "Koskinen",
    "Carter", "Schwarz", "Phillips", "Lambert", "Rivas", "Evans", "Zimmermann", "Turner",
    "Fontaine", "Souto", "Jarvinen", "Torres", "Braun", "Parker", "Rousseau", "Castro Lopez",
    "Collins", "Kruger", "Edwards", "Vincent", "Ramos", "Lehtonen", "Stewart", "Hofmann", "Morris",
    "Mercier", "Iglesias", "Murphy", "Hartmann", "Cook", "Blanc", "Vazquez", "Saarinen", "Rogers",
    "Lange", "Morgan", "Guerin", "Pena", "Peterson", "Schmitt", "Cooper", "Boyer", "Seoane",
    "Salminen", "Reed", "Werner", "Bailey", "Garnier", "Ruiz", "Georgiou", "Bell", "Krause",
    "Kelly", "Chevalier", "Dominguez", "Tanaka", "Howard", "Meier", "Ward", "Francois", "Gil",
    "Suzuki", "Cox", "Lehmann", "Richardson", "Legrand", "Blanco", "Sato", "Wood", "Schmid",
    "Watson", "Gauthier", "Molina", "Takahashi", "Brooks", "Schulze", "Bennett", "Perrin", "Ortiz",
    "Watanabe", "Gray", "Maier", "James", "Robin", "Navarro", "Ito", "Reyes", "Kohler", "Hughes",
    "Clement", "Moreno", "Yamamoto", "Price", "Herrmann", "Sanders", "Morin", "Marin", "Nakamura",
    "Myers", "Konig", "Long", "Nicolas", "Prieto", "Kobayashi", "Ross", "Walter", "Foster",
    "Henry", "Cabrera", "Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair",
    "Mehta", "Rao", "Kowalski", "Nowak", "Novak", "Horvat", "Jensen", "Nielsen", "Hansen",
    "Larsen", "Johansson", "Andersson", "Karlsson", "Nilsson", "Eriksson", "Lindberg", "De Jong",
    "Jansen", "De Vries", "Van Dijk", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Nikolaidis",
    "Pappas", "Oikonomou", "Dimitriou", "Karagiannis", "Vasileiou", "Smirnov", "Kuznetsov",
    "Popov", "Sokolov", "Lebedev", "Novikov", "Morozov", "Volkov", "O'Brien", "Byrne", "Ryan",
    "O'Connor", "Walsh", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
    "Ricci", "Marino", "Greco",
)  # fmt: skip


def zipf_weights(count: int, shift: float) -> list[float]:
    """Cumulative weights 1/(rank + shift): a few names common, most rare, as in life."""
    total = 0.0
    cumulative: list[float] = []
    for rank in range(count):
        total += 1.0 / (rank + shift)
        cumulative.append(total)
    return cumulative


FIRST_NAME_WEIGHTS = zipf_weights(len(FIRST_NAMES), 12.0)
LAST_NAME_WEIGHTS = zipf_weights(len(LAST_NAMES), 20.0)


def email_part(name: str) -> str:
    """'Castro Lopez' -> 'castrolopez', "O'Brien" -> 'obrien': what people put in addresses."""
    return "".join(char for char in name.lower() if char.isalnum())


FREE_MAIL_DOMAINS: tuple[str, ...] = (
    "mail.example",
    "inbox.example",
    "post.example",
    "webmail.example",
    "fastmail.example",
)


@dataclass(frozen=True)
class PhonePlan:
    """One numbering pattern: `#` marks the digits drawn at random."""

    national: str
    international: str
    e164: str
    digits: int


def _plan(country_code: str, template: str, *, trunk: bool) -> PhonePlan:
    flat = template.replace("(", "").replace(")", "")
    body = flat[1:] if trunk and flat.startswith("0") else flat
    e164 = "+" + country_code + "".join(char for char in body if char.isdigit() or char == "#")
    return PhonePlan(
        national=template.replace("#", "{}"),
        international=f"+{country_code} {body}".replace("#", "{}"),
        e164=e164.replace("#", "{}"),
        digits=template.count("#"),
    )


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166 alpha-2: what phone normalisation takes as the default region
    weight: int
    cities: tuple[str, ...]
    company_suffixes: tuple[str, ...]
    phones: tuple[PhonePlan, ...]


def _country(
    code: str,
    weight: int,
    calling_code: str,
    cities: tuple[str, ...],
    suffixes: tuple[str, ...],
    templates: tuple[str, ...],
    *,
    trunk: bool = True,
) -> Country:
    plans = tuple(_plan(calling_code, template, trunk=trunk) for template in templates)
    return Country(code, weight, cities, suffixes, plans)


COUNTRIES: tuple[Country, ...] = (
    _country(
        "US", 25, "1",
        ("New York", "Chicago", "Seattle", "Austin", "Boston", "San Francisco", "Denver"),
        ("Inc.", "LLC", "Corp."),
        ("(212) 555-01##", "(206) 555-01##", "(312) 555-01##", "(512) 555-01##",
         "(617) 555-01##", "(415) 555-01##"),
        trunk=False,
    ),
    _country(
        "GB", 12, "44",
        ("London", "Manchester", "Edinburgh", "Bristol", "Leeds"),
        ("Ltd", "plc"),
        ("020 7946 0###", "0161 496 0###", "0131 496 0###", "0117 496 0###"),
    ),
    _country(
        "DE", 12, "49",
        ("Berlin", "Munich", "Hamburg", "Frankfurt", "Cologne"),
        ("GmbH", "AG"),
        ("030 ########", "089 ########", "040 ########", "069 ########"),
    ),
    _country(
        "FR", 8, "33",
        ("Paris", "Lyon", "Toulouse", "Nantes", "Lille"),
        ("SAS", "SA"),
        ("01 ## ## ## ##", "04 ## ## ## ##", "06 ## ## ## ##"),
    ),
    _country(
        "FI", 6, "358",
        ("Helsinki", "Espoo", "Tampere", "Oulu", "Turku"),
        ("Oy", "Oyj"),
        ("09 #######", "040 #######", "050 #######"),
    ),
    _country(
        "ES", 7, "34",
        ("Madrid", "Barcelona", "Santiago de Compostela", "A Coruña", "Vigo", "Valencia"),
        ("S.L.", "S.A."),
        ("91# ### ###", "93# ### ###", "981 ### ###", "986 ### ###"),
        trunk=False,
    ),
    _country(
        "GR", 4, "30",
        ("Athens", "Thessaloniki", "Patras", "Heraklion"),
        ("S.A.", "IKE"),
        ("210 ### ####", "2310 ######"),
        trunk=False,
    ),
    _country(
        "VN", 5, "84",
        ("Hanoi", "Ho Chi Minh City", "Da Nang", "Hai Phong"),
        ("JSC", "Co., Ltd"),
        ("024 3### ####", "028 3### ####", "090 ### ####"),
    ),
    _country(
        "NL", 5, "31",
        ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven"),
        ("B.V.", "N.V."),
        ("020 ### ####", "010 ### ####", "06 ########"),
    ),
    _country(
        "SE", 4, "46",
        ("Stockholm", "Gothenburg", "Malmö", "Uppsala"),
        ("AB",),
        ("08-### ### ##", "031-### ## ##", "070-### ## ##"),
    ),
    _country(
        "CA", 5, "1",
        ("Toronto", "Vancouver", "Montreal", "Calgary"),
        ("Inc.", "Ltd."),
        ("(416) 555-01##", "(604) 555-01##", "(514) 555-01##"),
        trunk=False,
    ),
    _country(
        "AU", 4, "61",
        ("Sydney", "Melbourne", "Brisbane", "Perth"),
        ("Pty Ltd",),
        ("(02) #### ####", "(03) #### ####", "04## ### ###"),
    ),
    _country(
        "IN", 5, "91",
        ("Mumbai", "Bengaluru", "Delhi", "Pune"),
        ("Pvt Ltd", "Ltd"),
        ("022 #### ####", "080 #### ####", "098## #####"),
    ),
    _country(
        "JP", 3, "81",
        ("Tokyo", "Osaka", "Yokohama", "Fukuoka"),
        ("K.K.",),
        ("03-####-####", "06-####-####", "090-####-####"),
    ),
)  # fmt: skip

COUNTRY_BY_CODE = {country.code: country for country in COUNTRIES}

INDUSTRIES: tuple[str, ...] = (
    "Software",
    "Manufacturing",
    "Retail",
    "Financial services",
    "Healthcare",
    "Logistics",
    "Education",
    "Energy",
    "Telecommunications",
    "Hospitality",
    "Media",
    "Professional services",
    "Construction",
    "Food and beverage",
    "Public sector",
)

COMPANY_WORDS: tuple[str, ...] = (
    "Northwind", "Blue Harbor", "Silverline", "Redwood", "Greenfield", "Brightpath",
    "Ironbridge", "Clearwater", "Summit", "Evergreen", "Bluebird", "Oakridge", "Highland",
    "Riverside", "Starlight", "Pinecrest", "Goldleaf", "Westbrook", "Eastgate", "Lakeshore",
    "Maple", "Granite", "Crescent", "Horizon", "Aurora", "Nordic", "Atlas", "Polaris",
    "Vertex", "Keystone", "Cobalt", "Amber", "Falcon", "Harbor Lights", "Sunrise",
    "Copperfield", "Stonegate", "Meridian", "Bayview", "Fairway", "Kestrel", "Lumen",
    "Orchard", "Pioneer", "Quarry", "Saffron", "Tidewater", "Upland", "Willow", "Zenith",
)  # fmt: skip

COMPANY_TRADES: tuple[str, ...] = (
    "Analytics", "Logistics", "Foods", "Systems", "Health", "Energy", "Software",
    "Consulting", "Manufacturing", "Retail", "Media", "Engineering", "Capital", "Labs",
    "Networks", "Motors", "Pharma", "Textiles", "Robotics", "Hotels", "Solutions",
    "Telecom", "Construction", "Education", "Insurance", "Travel", "Outdoor", "Design",
)  # fmt: skip

JOB_TITLES: dict[str | None, tuple[str, ...]] = {
    "decision_maker": (
        "Chief Executive Officer",
        "Chief Marketing Officer",
        "Chief Technology Officer",
        "VP Sales",
        "Head of Marketing",
        "Managing Director",
        "Head of Procurement",
    ),
    "influencer": (
        "Marketing Manager",
        "IT Manager",
        "Sales Operations Lead",
        "Product Manager",
        "Digital Marketing Lead",
        "Operations Manager",
    ),
    "employee": (
        "Marketing Specialist",
        "Sales Representative",
        "Business Analyst",
        "Software Engineer",
        "Account Executive",
        "Office Manager",
        "Customer Success Manager",
    ),
    "other": ("Consultant", "Student", "Freelancer", "Researcher"),
    None: ("Manager", "Specialist"),
}
