#!/usr/bin/env bash
# `make run`: the whole system on this machine. The service (gunicorn) on 127.0.0.1:8080 and
# Mosquitto with the plugin: MQTT on 1883, WebSockets on 9001, TLS on 8883 once `make tls` ran.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
mkdir -p var

"$bin/cloudsignal-server" init
tls_args=()
if [ -f var/tls/server.crt ]; then tls_args=(--tls-port 8883 --tls-dir var/tls); fi
config=$("$bin/cloudsignal-server" broker-config --dir var/mosquitto "${tls_args[@]}")
export CLOUDSIGNAL_BROKER_SECRET_FILE=var/mosquitto/broker-secret

mosquitto -c "$config" &
broker=$!
trap 'kill "$broker" 2>/dev/null; wait "$broker" 2>/dev/null' EXIT INT TERM
echo "Broker: mqtt://127.0.0.1:1883, ws://127.0.0.1:9001/mqtt (pid $broker)"
"$bin/gunicorn" -c gunicorn.conf.py wsgi:app
