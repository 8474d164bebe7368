FROM debian:12.7@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
RUN set -eux; \
    # the service account
    groupadd --gid 10001 app \
    # and its user
    && useradd --uid 10001 -g app -m app
