FROM node:20.18.0-slim
WORKDIR /app
COPY package.json package-lock.json ./
# install-test runs `npm test` after installing: the clean-install form keeps the test run.
RUN npm install-ci-test
RUN npm cit --omit=optional
