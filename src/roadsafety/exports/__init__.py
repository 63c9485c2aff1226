"""Risk lists and exports for enforcement drives.

Rows are built once and every format writes the same rows:

* ``risk_list.build_risk_rows(con, run_id, RiskListFilter(...)) -> pl.DataFrame`` — the ranked list
  with exactly ``risk_list.RISK_COLUMNS`` (the DESIGN.md contract); ``risk_list.load_run`` gives
  the run's window, model version and data cut-off.
* ``enforcement_gap.build_enforcement_gap(con, run_id, filters)`` and
  ``blackspots.build_blackspots(con, cutoff, run_id, filters)`` — the companion lists (contract
  columns first, then their own). Each takes ``units=risk_list.run_units(con, run_id)`` to share
  one read of the run (``bundle.risk_list_bundle`` does).
* ``writers.write_export(bundle_or_rows, path, fmt, ExportMeta(...)) -> Path`` for csv, xlsx, pdf
  and geojson (``writers.format_of(path)`` maps an extension; ``writers.MEDIA_TYPES`` for downloads).
* ``audit.audit_export(db_path, path, fmt, meta, row_count, user=..., user_kind='app')`` or
  ``audit.make_record`` + ``audit.record_export(con, record)`` — the ``export_audit`` row.

All SQL lives in ``roadsafety.store.export_store``; the CLI is ``roadsafety.commands.exports``.
"""
