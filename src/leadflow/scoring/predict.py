"""The predictive score: logistic regression trained on qualified versus disqualified leads.

Features come from the registry (scorable choice, boolean and number fields of the
lead, its contact and its account; outcome fields left out) and from interaction
counts per kind over the last 90 days, read with one set-based query. A quarter
of the closed leads is held out to report an AUC the marketer can trust; every
lead then gets a probability and the factors that pushed it most.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sqlalchemy import case, delete, desc, func, insert, select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.interactions.domain import InteractionKind
from leadflow.lib.clock import utcnow
from leadflow.registry.domain import FieldDef, FieldType, Registry
from leadflow.registry.sql import field_column, table_for
from leadflow.scoring.models import LeadPrediction, PredictionRun

MIN_PER_CLASS = 20
WINDOW_DAYS = 90
TOP_FACTORS = 3
# Fields that record the outcome itself, or where the lead stands in the process.
OUTCOME_FIELDS = {
    ("lead", "status"),
    ("lead", "status_reason"),
    ("lead", "sales_ready"),
    ("lead", "telemarketing_ready"),
}
LABELS = {"lead": "Lead", "contact": "Contact", "account": "Account"}


@dataclass(frozen=True)
class Feature:
    name: str
    definition: FieldDef | None = None
    option: str | None = None
    kind: str | None = None


def _features(registry: Registry) -> list[Feature]:
    features: list[Feature] = []
    for entity in ("lead", "contact", "account"):
        for definition in registry.fields_of(entity):
            if not definition.scorable or (entity, definition.name) in OUTCOME_FIELDS:
                continue
            label = f"{LABELS[entity]} {definition.label.lower()}"
            if definition.type is FieldType.CHOICE:
                for option in definition.options:
                    features.append(Feature(f"{label} = {option}", definition, option))
            elif definition.type is FieldType.BOOLEAN:
                features.append(Feature(label, definition))
            elif definition.type in (
                FieldType.INTEGER,
                FieldType.DECIMAL,
            ) and not definition.name.endswith("_id"):
                features.append(Feature(f"{label} (log)", definition))
    for kind in InteractionKind:
        features.append(Feature(f"{kind.value} in {WINDOW_DAYS} days (log)", kind=kind.value))
    return features


def _rows(
    session: Session, registry: Registry, features: list[Feature], now: datetime
) -> tuple[list[int], list[str], np.ndarray[Any, Any]]:
    """lead ids, statuses and the feature matrix, from one query."""
    leads = table_for("lead")
    contacts = table_for("contact")
    accounts = table_for("account")
    interactions = table_for("interaction")
    kinds = [f.kind for f in features if f.kind]
    counts = (
        select(
            interactions.c.contact_id.label("contact_id"),
            *[
                func.sum(case((interactions.c.kind == kind, 1), else_=0)).label(f"k_{kind}")
                for kind in kinds
            ],
        )
        .where(interactions.c.occurred_at >= now - timedelta(days=WINDOW_DAYS))
        .group_by(interactions.c.contact_id)
        .subquery("counts")
    )
    columns: list[Any] = []
    for feature in features:
        if feature.definition is not None:
            columns.append(field_column(feature.definition))
        else:
            columns.append(func.coalesce(counts.c[f"k_{feature.kind}"], 0))
    joined = (
        leads.outerjoin(contacts, contacts.c.id == leads.c.parent_contact_id)
        .outerjoin(
            accounts,
            accounts.c.id == func.coalesce(contacts.c.account_id, leads.c.parent_account_id),
        )
        .outerjoin(counts, counts.c.contact_id == leads.c.parent_contact_id)
    )
    result = session.execute(
        select(leads.c.id, leads.c.status, *columns).select_from(joined).order_by(leads.c.id)
    ).all()
    ids = [row[0] for row in result]
    statuses = [row[1] for row in result]
    matrix = np.zeros((len(result), len(features)))
    for i, row in enumerate(result):
        for j, (feature, value) in enumerate(zip(features, row[2:], strict=True)):
            if value is None:
                continue
            if feature.option is not None:
                matrix[i, j] = 1.0 if value == feature.option else 0.0
            elif feature.definition is not None and feature.definition.type is FieldType.BOOLEAN:
                matrix[i, j] = 1.0 if value else 0.0
            else:
                matrix[i, j] = math.log1p(max(0.0, float(value)))
    return ids, statuses, matrix


def train_predictive(*, uow: UnitOfWork, now: datetime | None = None) -> PredictionRun:
    """Train on closed leads, store the run and every lead's probability with its factors.

    Refuses with a clear message when there are fewer than 20 qualified or disqualified leads.
    """
    now = now or utcnow()
    features = _features(uow.registry)
    ids, statuses, matrix = _rows(uow.session, uow.registry, features, now)
    closed = [i for i, status in enumerate(statuses) if status in ("qualified", "disqualified")]
    labels = np.array([1 if statuses[i] == "qualified" else 0 for i in closed])
    positives = int(labels.sum()) if len(closed) else 0
    negatives = len(closed) - positives
    if positives < MIN_PER_CLASS or negatives < MIN_PER_CLASS:
        raise ValidationFailed(
            f"Too few closed leads to train: {positives} qualified and {negatives} disqualified; "
            f"the predictive score needs at least {MIN_PER_CLASS} of each",
            field="leads",
            code=ErrorCode.NOT_ENOUGH_DATA,
        )
    x_closed = matrix[closed]
    x_train, x_test, y_train, y_test = train_test_split(
        x_closed, labels, test_size=0.25, random_state=7, stratify=labels
    )
    scaler = StandardScaler().fit(x_train)
    model = LogisticRegression(max_iter=2000, C=1.0).fit(scaler.transform(x_train), y_train)
    holdout_auc = float(roc_auc_score(y_test, model.predict_proba(scaler.transform(x_test))[:, 1]))

    coefficients = model.coef_[0]
    scaled = scaler.transform(matrix)
    probabilities = model.predict_proba(scaled)[:, 1]
    contributions = scaled * coefficients
    weights = _weights(features, coefficients)
    run = PredictionRun(
        trained_at=now,
        qualified=positives,
        disqualified=negatives,
        holdout_auc=round(holdout_auc, 4),
        weights=weights[:50],
    )
    uow.session.add(run)
    uow.session.flush()
    rows = _predictions(ids, features, contributions, probabilities, run.id)
    uow.session.execute(delete(LeadPrediction))
    if rows:
        uow.session.execute(insert(LeadPrediction), rows)
    return run


def _weights(features: Sequence[Feature], coefficients: Any) -> list[dict[str, Any]]:
    """The model's weights by feature, largest first; those of no weight left out."""
    weighted = sorted(
        (
            (feature.name, round(float(weight), 4))
            for feature, weight in zip(features, coefficients, strict=True)
            if abs(weight) > 1e-9
        ),
        key=lambda item: -abs(item[1]),
    )
    return [{"feature": name, "weight": weight} for name, weight in weighted]


def _predictions(
    ids: Sequence[int],
    features: Sequence[Feature],
    contributions: Any,
    probabilities: Any,
    run_id: int,
) -> list[dict[str, Any]]:
    """Every lead's probability with its `TOP_FACTORS` strongest factors."""
    rows = []
    for index, lead_id in enumerate(ids):
        order = np.argsort(-np.abs(contributions[index]))[:TOP_FACTORS]
        factors = [
            {"feature": features[j].name, "effect": round(float(contributions[index, j]), 3)}
            for j in order
            if abs(contributions[index, j]) > 1e-6
        ]
        rows.append(
            {
                "lead_id": lead_id,
                "run_id": run_id,
                "probability": round(float(probabilities[index]), 4),
                "factors": factors,
            }
        )
    return rows


def run_public(run: PredictionRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "trained_at": run.trained_at.isoformat(),
        "qualified": run.qualified,
        "disqualified": run.disqualified,
        "holdout_auc": run.holdout_auc,
        "weights": list(run.weights or []),
    }


def latest_run(session: Session) -> PredictionRun | None:
    return session.scalar(select(PredictionRun).order_by(desc(PredictionRun.id)).limit(1))


def lead_prediction(session: Session, lead_id: int) -> dict[str, Any] | None:
    row = session.get(LeadPrediction, lead_id)
    if row is None:
        return None
    return {"probability": row.probability, "factors": list(row.factors or [])}


do_train_predictive = in_own_transaction(train_predictive)
