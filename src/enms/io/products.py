"""Products between pipeline steps: frames as parquet files in a folder, one file per table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def save_frames(frames: dict[str, pd.DataFrame], folder: Path | str) -> None:
    """Write each frame to ``folder/<name>.parquet`` (replacing what was there)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)


def load_frames(folder: Path | str, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Read the parquet files of ``folder`` (all, or the named ones) back into frames."""
    folder = Path(folder)
    paths = [folder / f"{n}.parquet" for n in names] if names else sorted(folder.glob("*.parquet"))
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)}: run the upstream step first")
    return {p.stem: pd.read_parquet(p) for p in paths}
