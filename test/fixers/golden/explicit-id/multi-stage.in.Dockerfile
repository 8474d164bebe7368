FROM ubuntu:24.04 AS base
RUN groupadd app

FROM base AS build
RUN useradd -g app builder

FROM ubuntu:24.04 AS runtime
RUN useradd app
RUN useradd -g app other
USER app
