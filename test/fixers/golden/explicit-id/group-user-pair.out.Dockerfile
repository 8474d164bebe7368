FROM ubuntu:24.04
# The group is created for the user: both get one number.
RUN groupadd --gid 10001 app && useradd --uid 10001 -g app --no-log-init app
# A shared group: only its first user gets the group's number.
RUN groupadd --gid 10002 --system staff2 \
 && useradd --uid 10002 --gid staff2 alice \
 && useradd --uid 10003 -g staff2 bob
# A user whose primary group comes from the base image: nothing to pair.
RUN useradd --uid 10004 -g users carol
