# The CloudSignal service, built with the same Makefile steps as `make run`.
FROM debian:12-slim
WORKDIR /srv/cloudsignal
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make apt venv APT_PACKAGES="python3 python3-venv curl" && rm -rf /var/lib/apt/lists/*
# The public API on every interface; the broker's endpoints on loopback only (the broker container
# shares this network namespace). Both gunicorn instances run under deploy/service-entrypoint.py.
ENV CLOUDSIGNAL_BIND=0.0.0.0:8080 CLOUDSIGNAL_INTERNAL_BIND=127.0.0.1:8081 CLOUDSIGNAL_METRICS_DIR=/tmp/cloudsignal-metrics
EXPOSE 8080
CMD [".venv/bin/python", "deploy/service-entrypoint.py"]
