FROM ubuntu:24.04 AS base
RUN groupadd --gid 10001 app

FROM base AS build
RUN useradd --uid 10001 -g app builder

FROM ubuntu:24.04 AS runtime
RUN useradd --uid 10002 app
RUN useradd --uid 10003 -g app other
USER app
