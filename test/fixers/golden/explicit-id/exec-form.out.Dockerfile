FROM ubuntu:24.04
RUN ["groupadd", "--gid", "10001", "app"]
RUN ["useradd","--uid","10001","-g","app","app"]
RUN ["sudo", "useradd", "--uid", "10002", "-m", "svc"]
