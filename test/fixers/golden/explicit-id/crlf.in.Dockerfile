FROM ubuntu:24.04
RUN groupadd app \
 && useradd -g app \
      -m app
USER app
