FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY mud ./mud
COPY sql ./sql
COPY world ./world
RUN pip install --no-cache-dir -e . \
    && useradd --create-home --home-dir /home/mud mud \
    && mkdir -p /app/var && chown -R mud /app/var

USER mud
ENV MUD_HOST=0.0.0.0 \
    MUD_TELNET_PORT=4000 \
    MUD_WEB_PORT=4080 \
    MUD_DATA_DIR=/app/var
EXPOSE 4000 4080
STOPSIGNAL SIGTERM
CMD ["mud", "serve"]
