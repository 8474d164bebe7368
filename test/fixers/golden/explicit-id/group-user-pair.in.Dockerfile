FROM ubuntu:24.04
# The group is created for the user: both get one number.
RUN groupadd app && useradd -g app --no-log-init app
# A shared group: only its first user gets the group's number.
RUN groupadd --system staff2 \
 && useradd --gid staff2 alice \
 && useradd -g staff2 bob
# A user whose primary group comes from the base image: nothing to pair.
RUN useradd -g users carol
