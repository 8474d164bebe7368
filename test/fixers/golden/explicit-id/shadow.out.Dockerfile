FROM fedora:41
RUN dnf install -y shadow-utils \
 && useradd --uid 10001 -m -s /bin/bash -c "App user" app \
 && groupadd --gid 10002 -r audit
USER app
