FROM ubuntu:24.04
RUN useradd -u 10001 first && groupadd --gid=10003 grp1
RUN usermod -u 10004 nobody2 && groupmod -g 10006 grp1
RUN useradd -G 10008,users -u10009 second
COPY --chown=10010:10011 app /app
RUN useradd app && groupadd team && useradd worker
USER 10002:10005
