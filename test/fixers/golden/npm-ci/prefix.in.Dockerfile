FROM node:20.18.0-slim
WORKDIR /srv
COPY web/package.json web/package-lock.json web/
RUN npm --prefix web install
RUN npm -C web --loglevel warn install --production
RUN npm install --prefix=/srv/web --no-fund
COPY shrink/package.json shrink/npm-shrinkwrap.json /opt/shrink/
RUN npm install --prefix /opt/shrink
