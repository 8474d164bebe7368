FROM node:20.18.0-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM deps AS build
# This stage copied no lockfile itself: left as it is.
RUN npm install
COPY . .
RUN npm run build

FROM node:20.18.0-slim AS web
WORKDIR /srv
COPY web/package.json web/package-lock.json web/
RUN npm --prefix web ci --omit=dev
COPY --from=build /app/dist ./dist
