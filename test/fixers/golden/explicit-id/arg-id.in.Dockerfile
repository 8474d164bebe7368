FROM ubuntu:24.04
ARG UID=10001
ARG OTHER_UID
RUN useradd -u $UID app
RUN useradd -u "$OTHER_UID" other
RUN useradd bob
