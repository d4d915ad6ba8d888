"""Unit tests of the hour-of-week mean (enms.baselines) on small synthetic frames with known answers."""

from __future__ import annotations

import pandas as pd
import pytest

from enms import baselines as bl


def test_hour_of_week_mean() -> None:
    X = pd.DataFrame({"hour_of_week": [0, 0, 1, 1, 2]})
    model = bl.HourOfWeekMeanBaseline().fit(X, [1.0, 3.0, 10.0, 20.0, 7.0])
    pred = model.predict(pd.DataFrame({"hour_of_week": [0, 1, 2, 100]}, index=list("abcd")))
    assert pred.to_dict() == {"a": 2.0, "b": 15.0, "c": 7.0, "d": pytest.approx(41.0 / 5)}  # unseen: overall mean
