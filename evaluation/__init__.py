"""Summary quality evaluation of the deployed summarizer (``calle eval``).

The first version of this service judged dialogue summaries by the cosine similarity of
sentence embeddings between the predicted and the reference summary (RDASS without its document
term), because ROUGE on Korean dialogue summaries rewarded wording more than meaning. This
package measures the same yardstick against a running Triton (or the gateway), with ROUGE on
Korean morphemes and throughput beside it, so that operators can compare checkpoints and
generation settings before they deploy them. See :mod:`evaluation.command` for the usage.
"""
