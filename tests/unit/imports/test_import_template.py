"""`loanpilot import template KIND`: an empty CSV whose headers the importer reads back field for field."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from loanpilot.imports.cli import import_app
from loanpilot.imports.mapping import resolve_columns
from loanpilot.imports.service import IMPORTERS, template_fields
from loanpilot.imports.table import RawTable

runner = CliRunner()


@pytest.mark.parametrize("kind", sorted(IMPORTERS))
def test_template_headers_map_back_to_every_field(tmp_path, kind: str) -> None:
    out = tmp_path / f"{kind}.csv"
    result = runner.invoke(
        import_app, ["template", kind, "--out", str(out)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so Excel opens it"
    headers = raw.decode("utf-8-sig").strip().split(",")
    fields = template_fields(kind)
    assert len(headers) == len(fields)
    table = RawTable(
        source=out.name, headers=headers, frame=pd.DataFrame(), rows=np.zeros(0, dtype=np.int64)
    )
    columns = resolve_columns(table, kind, fields, one_of=getattr(IMPORTERS[kind], "ONE_OF", ()))
    assert set(columns) == {spec.name for spec in fields}
    for spec in fields:
        if spec.required:
            assert spec.name in result.output


def test_unknown_kind_is_explained() -> None:
    result = runner.invoke(import_app, ["template", "cars"])
    assert result.exit_code == 2
    assert "choose one of customers, loans, repayments" in result.output
