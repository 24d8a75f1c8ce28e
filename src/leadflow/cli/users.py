"""`leadflow create-user` and `create-token`: people and their API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.cli.base import cli_errors, open_container
from leadflow.users.domain import Role

ROLE_CHOICES = ", ".join(role.value for role in Role)


def create_user_command(
    email: str,
    name: Annotated[str, typer.Option(help="Display name")],
    role: Annotated[str, typer.Option(help=f"One of: {ROLE_CHOICES}")],
    password: Annotated[str | None, typer.Option(help="Leave out for API-only users")] = None,
) -> None:
    """Add a user."""
    from leadflow.users.services import do_create_user

    container = open_container()
    with cli_errors():
        user = do_create_user(
            email=email, name=name, role=role, password=password, uow=container.uow()
        )
        typer.echo(f"user {user.id} {user.email} ({user.role})")


def create_token_command(
    email: str,
    name: Annotated[str, typer.Option(help="What the token is for")] = "cli",
    role: Annotated[
        str | None, typer.Option(help=f"Narrower role than the user's: {ROLE_CHOICES}")
    ] = None,
) -> None:
    """Issue an API token for the user with EMAIL; prints it once."""
    from sqlalchemy import select

    from leadflow.errors import NotFound
    from leadflow.users.models import User
    from leadflow.users.services import do_create_token

    container = open_container()
    with cli_errors(), container.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email.strip().casefold()))
        if user is None:
            raise NotFound(f"No user with email {email}", field="email")
        _, token = do_create_token(user.id, name=name, role=role, uow=uow)
    typer.echo(token)


def register(app: typer.Typer) -> None:
    app.command("create-user")(create_user_command)
    app.command("create-token")(create_token_command)
