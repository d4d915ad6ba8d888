#!/usr/bin/env bash
# The peers' own virtualenv (benchmarks/peers/.venv, git-ignored): eemeter 4.1.1 pins scikit-learn 1.5.2, which the
# project's lock does not, so the peers never share the project's environment.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
stamp="$venv/.installed"
if [[ -f "$stamp" ]]; then exit 0; fi
"${PYTHON:-python3.11}" -m venv "$venv"
"$venv/bin/pip" install --quiet --progress-bar off eemeter==4.1.1 scikit-learn==1.5.2 statsforecast==2.1.1
touch "$stamp"
