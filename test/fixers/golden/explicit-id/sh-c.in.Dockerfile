FROM ubuntu:24.04
RUN sh -c 'groupadd app && useradd -g app app'
RUN bash -ec "useradd -m \"builder\""
RUN sudo -u root useradd svc
RUN ["sh", "-c", "useradd runner"]
