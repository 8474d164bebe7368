FROM node:20.18.0-slim AS base
WORKDIR /app
COPY package.json package-lock.json ./
ONBUILD RUN npm install --production

# The lockfile of an ONBUILD COPY comes from the child image's context, unknown here: left as it is.
FROM node:20.18.0-slim AS template
WORKDIR /app
ONBUILD COPY package.json package-lock.json ./
ONBUILD RUN npm install
