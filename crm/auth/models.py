"""Units (town offices and departments) and users with their roles."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from crm.auth.roles import ALL_SEEING, Role
from crm.core.timeutil import utcnow
from crm.extensions import db

UNIT_KINDS = ("town", "department", "bank")


class Unit(db.Model):
    """A town office (镇办), a department (部门) or a bank (银行, whose account managers
    answer the financing needs pushed to it)."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    # The short name printed where the full one does not fit (chart labels, packet
    # tables): 人社局, 发改局. Set by the admin; ``label`` falls back to the name.
    short_name: Mapped[Optional[str]] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list["User"]] = relationship(back_populates="unit", lazy="raise_on_sql")

    __table_args__ = (CheckConstraint("kind IN ('town', 'department', 'bank')", name="kind"),)

    def __repr__(self) -> str:
        return f"<Unit {self.name}>"

    @property
    def label(self) -> str:
        """The short name when the admin set one, else the full name."""
        return self.short_name or self.name


class UserRole(db.Model):
    """One role held by one user."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)

    __table_args__ = (
        CheckConstraint(
            "role IN ('commissioner', 'leader', 'handler', 'coordinator', 'admin', 'bank')",
            name="role"
        ),
    )


class User(UserMixin, db.Model):
    """A person who signs in. Belongs to one unit; may hold several roles."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    title: Mapped[Optional[str]] = mapped_column(String(64))  # 职务, e.g. 副市长
    # A city leader's place in protocol order (市委书记 1, 市长 2 …), set by the admin;
    # packets list leaders by it (then by name), leaders without one last.
    protocol_order: Mapped[Optional[int]]
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(16), default="zh_Hans_CN")
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[Optional[datetime]]
    last_login_at: Mapped[Optional[datetime]]
    # Bumped on password reset or deactivation: old sessions stop working.
    session_token: Mapped[str] = mapped_column(String(32), default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Optional[Unit]] = relationship(back_populates="users", lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    # -- roles ---------------------------------------------------------------
    @property
    def roles(self) -> set[str]:
        """The role codes this user holds."""
        return {row.role for row in self.role_rows}

    @roles.setter
    def roles(self, value) -> None:
        wanted = {Role(r).value for r in value}
        self.role_rows = [row for row in self.role_rows if row.role in wanted] + [
            UserRole(role=r) for r in sorted(wanted - self.roles)
        ]

    def has_role(self, *roles: str) -> bool:
        """True when the user holds any of ``roles``."""
        return bool(self.roles.intersection(roles))

    @property
    def sees_all(self) -> bool:
        """Coordinators and admins see every record."""
        return bool(self.roles & {r.value for r in ALL_SEEING})

    # -- passwords -----------------------------------------------------------
    def set_password(self, password: str) -> None:
        """Store a salted hash (scrypt) of ``password``."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Constant-time comparison against the stored hash."""
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        # The session token invalidates sessions after a reset or deactivation.
        return f"{self.id}:{self.session_token}"
