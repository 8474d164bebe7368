FROM ubuntu:24.04
ONBUILD RUN groupadd app && useradd -g app app
RUN useradd -m build
ONBUILD USER app
