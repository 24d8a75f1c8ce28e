"""`leadflow import`: a mapping file, a dry run, line-numbered errors."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli_fixtures import RunCli


def test_dry_run_with_a_mapping_file_then_the_import_names_bad_lines(
    run_cli: RunCli, tmp_path: Path
) -> None:
    assert run_cli("db", "upgrade").returncode == 0
    data = tmp_path / "people.csv"
    data.write_text("Mail,Name\nann@example.com,Ann\nnope,Bo\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("mapping:\n  Mail: email\n  Name: {field: first_name, mode: fill}\n")

    dry = run_cli("import", "contacts", str(data), "--mapping", str(mapping), "--dry-run")
    real = run_cli("import", "contacts", str(data), "--mapping", str(mapping))

    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "line 2: create",
        "line 3: error [Mail] invalid_email: "
        "Email is not a valid email: An email address must have an @-sign.",
        "1 create, 0 update, 0 skip, 0 conflict, 1 error, 0 contacts_created",
    ]
    assert real.returncode == 0, real.stderr
    assert "line 3 column 'Mail': invalid_email" in " ".join(real.stderr.split())
    assert real.stdout.strip().endswith(
        "1 create, 0 update, 0 skip, 0 conflict, 1 error, 0 contacts_created"
    )
