#!/usr/bin/env bash
# Train the Rasa model unless config, domain, training data and NLU components are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
inputs=$(find config.yml bot/domain nlu_data bot/nlu_components.py bot/rasa_speedups.py requirements-rasa.txt -type f | sort)
fingerprint=$(cat $inputs | sha256sum | cut -c1-32)
if [ -f models/casa-navigli.tar.gz ] && [ "$(cat models/.fingerprint 2>/dev/null)" = "$fingerprint" ]; then
  echo "==> Rasa model up to date (models/casa-navigli.tar.gz)"
  exit 0
fi
echo "==> training the Rasa model"
mkdir -p models
start=$(date +%s)
PYTHONPATH="$PWD" TF_CPP_MIN_LOG_LEVEL=2 .venv-rasa/bin/rasa train \
  --config config.yml --domain bot/domain --data nlu_data \
  --out models --fixed-model-name casa-navigli --force
echo "$fingerprint" > models/.fingerprint
echo "==> trained in $(( $(date +%s) - start ))s"
