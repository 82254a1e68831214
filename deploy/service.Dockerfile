# The CloudSignal service, built with the same Makefile steps as `make run`.
FROM debian:12-slim
WORKDIR /srv/cloudsignal
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make apt venv APT_PACKAGES="python3 python3-venv curl" && rm -rf /var/lib/apt/lists/*
ENV CLOUDSIGNAL_BIND=0.0.0.0:8080
EXPOSE 8080
CMD [".venv/bin/gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
