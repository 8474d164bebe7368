FROM ubuntu:24.04
RUN useradd -m alice
RUN useradd -m bob && useradd -r svc
RUN groupadd shared && usermod -aG shared alice
