FROM ubuntu:24.04
RUN ["groupadd", "app"]
RUN ["useradd","-g","app","app"]
RUN ["sudo", "useradd", "-m", "svc"]
