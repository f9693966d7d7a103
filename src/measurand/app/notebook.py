# The marimo app behind `measurand app`: explore a factors or compare analysis reactively.
# Interface only; what runs is measurand.app.explore (the verbs' public workflow functions).
import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="measurand explorer")


@app.cell
def _():
    import os

    import marimo as mo

    from measurand.app import explore
    from measurand.errors import InputError

    return InputError, explore, mo, os


@app.cell
def _(mo, os):
    _given = mo.cli_args().get("path") or os.environ.get("MEASURAND_APP_PATH") or ""
    path_input = mo.ui.text(
        value=str(_given),
        label="Results folder (factors or compare) or a table (wide matrix or long runs)",
        full_width=True,
    )
    mo.vstack([mo.md("# measurand explorer"), path_input])
    return (path_input,)


@app.cell
def _(InputError, explore, mo, path_input):
    try:
        start = explore.resolve_start(path_input.value.strip() or None)
    except InputError as _exc:
        start = None
        _message = mo.callout(mo.md(f"**{_exc}**"), kind="danger")
    else:
        _message = mo.md(start.note) if start.note else mo.md("")
    mode = mo.ui.radio(
        options={
            "factors: what does a matrix measure?": "factors",
            "compare: which condition is better?": "compare",
        },
        value=(
            "compare: which condition is better?"
            if start is not None and start.mode == "compare"
            else "factors: what does a matrix measure?"
        ),
        label="Analysis",
        inline=True,
    )
    mo.vstack([_message, mode])
    return mode, start


@app.cell
def _(explore, mo, start):
    mo.stop(start is None or start.table is None)
    frame = explore.read_frame(start.table)
    mo.md(f"`{start.table}`: {frame.height:,} rows x {frame.width} columns")
    return (frame,)


@app.cell
def _(explore, frame, mo, start):
    _numeric = explore.numeric_columns(frame)
    _defaults = start.defaults if start.mode == "factors" else {}
    _chosen = [c for c in (_defaults.get("columns") or _numeric) if c in _numeric]
    f_id = mo.ui.dropdown(
        options=list(frame.columns),
        value=_defaults.get("id_col") or explore.guess_id_column(frame),
        label="id column",
    )
    f_columns = mo.ui.multiselect(options=_numeric, value=_chosen, label="metric columns")
    f_k = mo.ui.dropdown(
        options=["auto"] + [str(k) for k in range(1, max(2, min(8, len(_numeric))))],
        value=str(_defaults.get("n_factors") or "auto"),
        label="factors k",
    )
    f_method = mo.ui.dropdown(
        options=["nonneg_em", "ml", "minres"],
        value=_defaults.get("method") or "nonneg_em",
        label="method",
    )
    f_rotation = mo.ui.dropdown(
        options=[
            "auto",
            "none",
            "varimax",
            "quartimax",
            "oblimin",
            "quartimin",
            "geomin",
            "promax",
        ],
        value=_defaults.get("rotation") or "auto",
        label="rotation",
    )
    f_missing = mo.ui.dropdown(
        options=["drop-rows", "mean", "error"],
        value=_defaults.get("missing") or "drop-rows",
        label="missing cells",
    )
    f_resamples = mo.ui.slider(
        50, 2000, step=50, value=200, label="rank resamples", show_value=True
    )
    return f_columns, f_id, f_k, f_method, f_missing, f_resamples, f_rotation


@app.cell
def _(f_columns, f_id, f_k, f_method, f_missing, f_resamples, f_rotation, mo, mode):
    mo.stop(mode.value != "factors")
    mo.vstack(
        [
            mo.hstack([f_id, f_k, f_method, f_rotation, f_missing], justify="start"),
            f_columns,
            f_resamples,
        ]
    )
    return


@app.cell
def _(
    InputError,
    explore,
    f_columns,
    f_id,
    f_k,
    f_method,
    f_missing,
    f_resamples,
    f_rotation,
    mo,
    mode,
    start,
):
    mo.stop(mode.value != "factors")
    try:
        _result, _report = explore.run_factors_view(
            start.table,
            id_col=f_id.value,
            columns=list(f_columns.value),
            n_factors=None if f_k.value == "auto" else int(f_k.value),
            method=f_method.value,
            rotation=None if f_rotation.value == "none" else f_rotation.value,
            missing=f_missing.value,
            n_resamples=f_resamples.value,
        )
    except InputError as _exc:
        _out = mo.callout(mo.md(f"**{_exc}**"), kind="danger")
    else:
        _parts = []
        for _title, _figures, _text in explore.report_sections(
            _report, "headline", "how many factors", "loadings", "leaderboard"
        ):
            _parts.append(mo.md(f"## {_title}"))
            _parts += [mo.as_html(_fig) for _fig in _figures]
            _parts.append(
                mo.accordion({"table and notes": mo.md(_text)}) if _figures else mo.md(_text)
            )
        _out = mo.vstack(_parts)
    _out  # noqa: B018 (the cell's output)
    return


@app.cell
def _(explore, frame, mo, start):
    _roles = explore.guess_roles(frame.columns)
    _columns = [None, *frame.columns]
    c_condition = mo.ui.dropdown(
        options=list(frame.columns),
        value=_roles["condition"] or frame.columns[0],
        label="condition column",
    )
    c_seed = mo.ui.dropdown(
        options=list(frame.columns), value=_roles["seed"] or frame.columns[0], label="seed column"
    )
    c_task = mo.ui.dropdown(
        options=list(frame.columns),
        value=_roles["task"],
        label="task column (optional)",
        allow_select_none=True,
    )
    c_step = mo.ui.dropdown(
        options=list(frame.columns),
        value=_roles["step"],
        label="step column (optional)",
        allow_select_none=True,
    )
    _taken = {v for v in _roles.values() if v}
    _metrics = [c for c in explore.numeric_columns(frame) if c not in _taken]
    _defaults = start.defaults if start.mode == "compare" else {}
    c_metric = mo.ui.dropdown(
        options=_metrics or list(frame.columns),
        value=_defaults.get("metric")
        if _defaults.get("metric") in _metrics
        else (_metrics or list(frame.columns))[0],
        label="metric",
    )
    c_window = mo.ui.text(
        value=_defaults.get("window") or "last:10", label="window (last:N, A:B or all)"
    )
    c_resamples = mo.ui.slider(
        200, 10000, step=200, value=2000, label="bootstrap resamples", show_value=True
    )
    return c_condition, c_metric, c_resamples, c_seed, c_step, c_task, c_window


@app.cell
def _(c_condition, frame, mo, start):
    _names = sorted(str(v) for v in frame.get_column(c_condition.value).unique().drop_nulls())
    _defaults = start.defaults if start.mode == "compare" else {}
    _chosen = [c for c in (_defaults.get("conditions") or _names) if c in _names]
    c_conditions = mo.ui.multiselect(options=_names, value=_chosen, label="conditions")
    c_baseline = mo.ui.dropdown(
        options=_names,
        value=_defaults.get("baseline") if _defaults.get("baseline") in _names else _names[0],
        label="baseline",
    )
    c_candidate = mo.ui.dropdown(
        options=_names,
        value=_defaults.get("candidate") if _defaults.get("candidate") in _names else _names[-1],
        label="candidate",
    )
    return c_baseline, c_candidate, c_conditions


@app.cell
def _(
    c_baseline,
    c_candidate,
    c_condition,
    c_conditions,
    c_metric,
    c_resamples,
    c_seed,
    c_step,
    c_task,
    c_window,
    mo,
    mode,
):
    mo.stop(mode.value != "compare")
    mo.vstack(
        [
            mo.hstack([c_condition, c_seed, c_task, c_step], justify="start"),
            mo.hstack([c_metric, c_window, c_baseline, c_candidate], justify="start"),
            c_conditions,
            c_resamples,
        ]
    )
    return


@app.cell
def _(
    InputError,
    c_baseline,
    c_candidate,
    c_condition,
    c_conditions,
    c_metric,
    c_resamples,
    c_seed,
    c_step,
    c_task,
    c_window,
    explore,
    mo,
    mode,
    start,
):
    mo.stop(mode.value != "compare")
    try:
        _result, _report = explore.run_compare_view(
            start.table,
            roles={
                "condition": c_condition.value,
                "seed": c_seed.value,
                "task": c_task.value,
                "step": c_step.value,
            },
            value_col=c_metric.value,
            conditions=list(c_conditions.value),
            baseline=c_baseline.value,
            candidate=c_candidate.value,
            window=c_window.value.strip(),
            n_resamples=c_resamples.value,
        )
    except InputError as _exc:
        _out = mo.callout(mo.md(f"**{_exc}**"), kind="danger")
    else:
        _parts = []
        for _title, _figures, _text in explore.report_sections(
            _report, "learning curves", "summary", "significance", "across tasks"
        ):
            _parts.append(mo.md(f"## {_title}"))
            _parts += [mo.as_html(_fig) for _fig in _figures]
            _parts.append(mo.md(_text))
        _out = mo.vstack(_parts)
    _out  # noqa: B018 (the cell's output)
    return


if __name__ == "__main__":
    app.run()
