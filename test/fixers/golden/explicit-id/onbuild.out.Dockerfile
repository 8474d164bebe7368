FROM ubuntu:24.04
ONBUILD RUN groupadd --gid 10001 app && useradd --uid 10001 -g app app
RUN useradd --uid 10002 -m build
ONBUILD USER app
