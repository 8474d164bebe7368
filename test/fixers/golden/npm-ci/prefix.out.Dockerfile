FROM node:20.18.0-slim
WORKDIR /srv
COPY web/package.json web/package-lock.json web/
RUN npm --prefix web ci
RUN npm -C web --loglevel warn ci --omit=dev
RUN npm ci --prefix=/srv/web --no-fund
COPY shrink/package.json shrink/npm-shrinkwrap.json /opt/shrink/
RUN npm ci --prefix /opt/shrink
