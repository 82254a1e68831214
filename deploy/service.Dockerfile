# The CloudSignal service, built with the same Makefile steps as `make run`.
FROM debian:12-slim
WORKDIR /srv/cloudsignal
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make apt venv APT_PACKAGES="python3 python3-venv curl" && rm -rf /var/lib/apt/lists/*
# Every gunicorn instance on loopback only: the edge and the broker containers share this network
# namespace; the edge is the only way in (deploy/edge). All three run under deploy/service-entrypoint.py.
ENV CLOUDSIGNAL_BIND=127.0.0.1:8180 CLOUDSIGNAL_STREAM_BIND=127.0.0.1:8182 CLOUDSIGNAL_INTERNAL_BIND=127.0.0.1:8081 \
    CLOUDSIGNAL_TRUSTED_PROXIES=1 CLOUDSIGNAL_METRICS_DIR=/tmp/cloudsignal-metrics
CMD [".venv/bin/python", "deploy/service-entrypoint.py"]
