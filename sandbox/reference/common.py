"""Shared helpers for the reference checks (scikit-learn; exploration only, not part of the product)."""
import os
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_union
from sklearn.metrics import precision_recall_curve, roc_auc_score, f1_score

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def data(*parts):
    return os.path.join(ROOT, 'sandbox', 'data', *parts)


def best_f1(y, scores):
    """F1 at the best threshold chosen on the very predictions it scores: an optimistic ceiling."""
    p, r, _ = precision_recall_curve(y, scores)
    return float((2 * p * r / np.maximum(p + r, 1e-12)).max())


def line(name, y, scores, threshold=None):
    text = f'{name:48s} ROC-AUC {roc_auc_score(y, scores):.3f}  best-threshold F1 {best_f1(y, scores):.3f}'
    if threshold is not None:
        text += f'  F1 at {threshold:g} {f1_score(y, scores > threshold):.3f}'
    print(text, flush=True)


def words_and_characters(min_df):
    """TF-IDF over word 1-2-grams beside character 2-5-grams (within word boundaries), terms in at least min_df texts."""
    return make_union(TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True),
                      TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 5), min_df=min_df, sublinear_tf=True))
