"""The marketing models pages: the list and one model with its gains table and chart data."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session
from tests.conftest import DemoSite

from loanpilot.products import marketing_models

GAINS = [
    {"decile": d, "count": 100, "positives": p, "rate": p / 100, "lift": p / 10.0,
     "cum_count": 100 * d, "cum_positives": c, "cum_population_pct": 10.0 * d,
     "cum_gains_pct": c, "cum_lift": c / (10.0 * d)}
    for d, p, c in zip(range(1, 11), [30, 20, 12, 10, 8, 7, 5, 4, 3, 1],
                       [30, 50, 62, 72, 80, 87, 92, 96, 99, 100], strict=True)
]  # fmt: skip


def _register(site: DemoSite, name: str) -> int:
    with Session(site.bank.engine) as session:
        row = marketing_models.register(
            session,
            kind="propensity",
            name=name,
            target="响应",
            artefact={"format": "loanpilot.propensity_model_dir", "chosen": "lightgbm"},
            metrics={"chosen": "lightgbm", "cv_auc": 0.7345, "gains": GAINS, "rows": 1000},
            data_sha256="b" * 64,
            now=datetime(2026, 11, 29, 8, 0, tzinfo=UTC),
        )
        session.commit()
        return row.id


def test_list_and_model_page(demo_site: DemoSite) -> None:
    name = f"resp-{uuid.uuid4().hex[:8]}"
    model_id = _register(demo_site, name)
    client = demo_site.login("marketing")
    page = client.get("/console/offers/models")
    assert page.status_code == 200
    assert f'data-model="{name}@1"' in page.text
    assert "0.7345" in page.text
    assert "LightGBM" in page.text
    assert "倾向模型" in page.text
    one = client.get(f"/console/offers/models/{model_id}", params={"lang": "en"})
    assert one.status_code == 200
    assert "Cumulative gains" in one.text
    assert 'data-decile="10"' in one.text
    island = one.text.split('id="models-gains-data">')[1].split("</script>")[0]
    chart = json.loads(island)
    assert chart["gains"][:3] == [0.0, 30.0, 50.0]
    assert chart["population"][-1] == 100.0
    assert client.get("/console/offers/models/99999999").status_code == 404


def test_needs_marketing_read(demo_site: DemoSite) -> None:
    assert demo_site.login("collector").get("/console/offers/models").status_code == 403
