FROM ubuntu:24.04
RUN sh -c 'groupadd --gid 10001 app && useradd --uid 10001 -g app app'
RUN bash -ec "useradd --uid 10002 -m \"builder\""
RUN sudo -u root useradd --uid 10003 svc
RUN ["sh", "-c", "useradd --uid 10004 runner"]
