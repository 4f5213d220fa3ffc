"""``flask crm …`` commands: demo data, users, maintenance."""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import func, select
from wtforms import ValidationError

from crm.auth.forms import password_policy
from crm.auth.models import Unit
from crm.auth.services import create_user as create, find_user
from crm.core.backup import BackupError, backup, restore
from crm.seed.county import DEMO_PASSWORD, DEMO_SIGNINS, populate
from crm.enterprises.models import Enterprise
from crm.extensions import db
from crm.issues.reference import seed_reference_data
from crm.financing.sweep import sweep as financing_sweep
from crm.issues.sweep import sweep
from crm.taskforces.sweep import sweep as taskforce_sweep
from crm.liaisons import rollups as coverage_rollups
from crm.meetings import rollups as month_rollups
from crm.seed import seed, write_rollups


def register_cli(app: Flask) -> None:
    """Attach the ``crm`` command group to ``app``."""

    @app.cli.group("crm")
    def crm_group():
        """企业帮扶联络 CRM maintenance commands."""

    @crm_group.command("demo")
    @click.option("--force", is_flag=True, help="Fill even if the database has enterprises.")
    def demo(force: bool):
        """Fill an empty database with the fictional demo county."""
        if db.session.scalar(select(func.count()).select_from(Enterprise)) and not force:
            click.echo("The database already has data; demo not loaded (use --force to add).")
        else:
            try:
                summary = populate()
            except ValueError as exc:  # e.g. the demo users exist already
                db.session.rollback()
                raise click.ClickException(str(exc)) from exc
            db.session.commit()
            write_rollups(summary, None)  # the closed months' and weeks' figures
            for name, count in summary.items():
                click.echo(f"  {name}: {count}")
        click.echo(f"Demo sign-ins (password {DEMO_PASSWORD}):")
        for username, role in DEMO_SIGNINS:
            click.echo(f"  {username:<14} {role}")

    @crm_group.command("seed")
    @click.option("--scale", type=click.Choice(["province", "henan", "county-large", "county",
                                                "tiny"]), default="county")
    @click.option("--seed", "seed_value", type=int, default=20261127)
    def seed_cmd(scale: str, seed_value: int):
        """Fill an empty database with generated data (province: 20,000 enterprises;
        henan: 135,000, PostgreSQL only; county-large: 3,000 with two years of visits)."""
        t0 = time.perf_counter()
        try:
            counts = seed(scale, seed=seed_value, echo=click.echo)
        except ValueError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        for name, count in counts.items():
            click.echo(f"  {name}: {count}")
        click.echo(f"Seeded {scale} in {time.perf_counter() - t0:.1f} s.")

    @crm_group.command("create-user")
    @click.option("--username", prompt=True)
    @click.option("--name", "display_name", prompt=True)
    @click.option("--role", "roles", multiple=True, required=True,
                  type=click.Choice(["commissioner", "leader", "handler", "coordinator", "admin"]))
    @click.option("--unit", default=None, help="Unit name (must exist).")
    @click.password_option()
    def create_user(username, display_name, roles, unit, password):
        """Create a real user (the password must follow the policy)."""
        class _F:
            data = password

        try:
            password_policy(None, _F)
        except ValidationError as exc:
            raise click.ClickException(str(exc)) from exc
        if find_user(username):
            raise click.ClickException(f"User {username} exists already.")
        unit_id = None
        if unit:
            u = db.session.scalar(select(Unit).where(Unit.name == unit))
            if u is None:
                raise click.ClickException(f"No unit named {unit}.")
            unit_id = u.id
        user = create({"username": username, "display_name": display_name, "roles": roles,
                       "unit_id": unit_id, "password": password}, None)
        db.session.commit()
        click.echo(f"Created {user.username} ({', '.join(sorted(user.roles))}).")

    @crm_group.command("backup")
    @click.argument("target", type=click.Path(dir_okay=False))
    def backup_cmd(target):
        """Write a consistent snapshot of the SQLite database to TARGET."""
        try:
            size = backup(app.config["SQLALCHEMY_DATABASE_URI"], Path(target))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Backup written to {target} ({size // 1024} KB).")

    @crm_group.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_cmd(source, yes):
        """Replace the SQLite database with the snapshot SOURCE (stop the app first)."""
        if not yes:
            click.confirm("This replaces the current database. Continue?", abort=True)
        db.session.remove()
        db.engine.dispose()
        try:
            restore(app.config["SQLALCHEMY_DATABASE_URI"], Path(source))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Database restored from {source}.")

    @crm_group.command("sweep")
    def sweep_cmd():
        """Send due-soon and overdue notices (safe to run from cron at any interval)."""
        counts = sweep()
        # The task forces' milestones and rhythm meetings (crm.taskforces.sweep).
        counts.update(taskforce_sweep())
        # The banks' answers to financing needs (crm.financing.sweep).
        counts.update(financing_sweep())
        db.session.commit()
        # Closed months' figures and weeks' coverage not yet written (or made stale by a
        # late write); with workers the periodic jobs do this (crm.scheduling).
        written = {"rollup months": len(month_rollups.close_months()),
                   "coverage weeks": len(coverage_rollups.rebuild_all())}
        counts.update({k: v for k, v in written.items() if v})
        click.echo("Deadline sweep: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                                         or "nothing to send"))

    @crm_group.command("seed-reference")
    def seed_reference_cmd():
        """Add the missing problem categories and default deadline rules."""
        added = seed_reference_data()
        db.session.commit()
        click.echo(", ".join(f"{k}: {v} added" for k, v in added.items()))
