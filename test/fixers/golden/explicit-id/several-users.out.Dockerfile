FROM ubuntu:24.04
RUN useradd --uid 10001 -m alice
RUN useradd --uid 10002 -m bob && useradd --uid 10003 -r svc
RUN groupadd --gid 10004 shared && usermod -aG shared alice
