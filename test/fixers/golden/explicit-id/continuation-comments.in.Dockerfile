FROM debian:12.7@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
RUN set -eux; \
    # the service account
    groupadd app \
    # and its user
    && useradd -g app -m app
