#!/usr/bin/env bash
# make setup: both environments, system packages, the Rasa model and the KB index.
# Idempotent: every step is skipped when its inputs did not change (stamp files).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

# --- system packages -------------------------------------------------------
need_pkgs=()
command -v redis-server >/dev/null || need_pkgs+=(redis-server)
command -v node >/dev/null || need_pkgs+=(nodejs)  # syntax check of the simulator page's script
# the browser tests (tests/browser, Playwright) drive Debian's Chromium; Playwright never downloads one
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ${#need_pkgs[@]} -gt 0 ]; then
  say "installing Debian packages: ${need_pkgs[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}"
fi

# --- Python interpreters ----------------------------------------------------
PY311="$(command -v python3.11 || true)"
[ -n "$PY311" ] || PY311="$(command -v python3)"
"$PY311" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
  echo "Python 3.11 is required for .venv (found $("$PY311" --version)); install it (e.g. pyenv install 3.11)" >&2; exit 1; }
PY310="${PY310:-}"
if [ -z "$PY310" ]; then
  if command -v pyenv >/dev/null; then
    PY310="$(ls -d "$(pyenv root)"/versions/3.10.*/bin/python 2>/dev/null | sort -V | tail -1 || true)"
  fi
  [ -n "$PY310" ] || PY310="$(command -v python3.10 || true)"
fi
if [ -z "$PY310" ]; then
  echo "Python 3.10 not found: Rasa 3.6 needs it. Install it with 'pyenv install 3.10' (or your" >&2
  echo "distribution's python3.10 + venv package), or set PY310=/path/to/python3.10." >&2
  exit 1
fi

# --- .venv (project, Python 3.11) -------------------------------------------
stamp=".venv/.installed-$(hash_of pyproject.toml)"
if [ ! -f "$stamp" ]; then
  say "creating .venv (Python 3.11) and installing the project"
  [ -x .venv/bin/python ] || "$PY311" -m venv .venv
  .venv/bin/pip install -q --upgrade pip wheel
  # torch first, pinned: the CPU build (any other request pulls a multi-GB CUDA build)
  .venv/bin/pip install -q "torch==2.13.0"
  .venv/bin/pip install -q -e ".[dev]"
  rm -f .venv/.installed-*; touch "$stamp"
fi

# --- .venv-rasa (Rasa server, Python 3.10) -----------------------------------
stamp=".venv-rasa/.installed-$(hash_of requirements-rasa.txt)"
if [ ! -f "$stamp" ]; then
  say "creating .venv-rasa ($("$PY310" --version)) and installing rasa"
  [ -x .venv-rasa/bin/python ] || "$PY310" -m venv .venv-rasa
  .venv-rasa/bin/pip install -q --upgrade pip wheel "setuptools<71"
  .venv-rasa/bin/pip install -q -r requirements-rasa.txt
  rm -f .venv-rasa/.installed-*; touch "$stamp"
fi

# --- Rasa model and knowledge-base index -------------------------------------
bash scripts/train.sh
say "building the knowledge-base index (incremental)"
HF_HUB_OFFLINE=1 .venv/bin/wabot kb build
# the ONNX export of the dense model, once, before any server loads it
HF_HUB_OFFLINE=1 .venv/bin/python -c "from knowledge_base.config import get_settings; from knowledge_base.encoders import dense_encoder; dense_encoder(get_settings())"
say "setup complete: 'make run' starts the stack, 'make test' runs the tests"
