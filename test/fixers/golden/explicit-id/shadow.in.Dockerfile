FROM fedora:41
RUN dnf install -y shadow-utils \
 && useradd -m -s /bin/bash -c "App user" app \
 && groupadd -r audit
USER app
