"""LinkedIn Lead Gen Forms (C1/C2): connections, forms, mappings and the lead sync."""
