"""CLAUDETTE: do the sentences tagged with a category but judged fair (level 1) help as extra targets? Nested GroupKFold.

Stage 1: logistic regressions (words + characters) for `unfair`, each category's unfair tag (level >= 2) and, with
topics, each category's tag at any level (>= 1) where at least 20 sentences are tagged fair. Stage 2: a logistic
regression over stage 1's logits, trained on inner out-of-fold logits. Out-of-fold over the outer document folds.
"""
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.metrics import roc_auc_score
from common import data, best_f1, words_and_characters

frame = pd.read_csv(data('compliance', 'claudette-tos', 'tos_unfair_clauses_en.csv'), dtype=str).fillna('')
columns = [c for c in frame.columns if c.startswith('lvl_')]
levels = frame[columns].replace('', '0').astype(int).values
y = (frame.is_potentially_unfair == '1').astype(int).values
groups, text = frame.document.values, frame.text.values
topics = [i for i in range(len(columns)) if (levels[:, i] == 1).sum() >= 20]


def targets(rows):
    return [y[rows]] + [(levels[rows, i] >= 2).astype(int) for i in range(len(columns))] + \
        [(levels[rows, i] >= 1).astype(int) for i in topics]


def logits(x_train, labels, x_test):
    return np.column_stack([LogisticRegression(C=10, max_iter=3000).fit(x_train, t).decision_function(x_test)
                            if t.sum() >= 3 else np.zeros(x_test.shape[0]) for t in labels])


scores = {'unfair alone': np.zeros(len(y)), 'stacked, categories': np.zeros(len(y)),
          'stacked, categories + fair-tagged topics': np.zeros(len(y))}
for train, test in GroupKFold(5).split(text, y, groups):
    vectorizer = words_and_characters(3).fit(text[train])
    x_train, x_test = vectorizer.transform(text[train]), vectorizer.transform(text[test])
    labels = targets(train)
    inner = np.zeros((len(train), len(labels)))
    for inner_train, inner_test in GroupKFold(5).split(x_train, y[train], groups[train]):
        inner[inner_test] = logits(x_train[inner_train], [t[inner_train] for t in labels], x_train[inner_test])
    outer = logits(x_train, labels, x_test)
    scores['unfair alone'][test] = outer[:, 0]
    for name, width in (('stacked, categories', 1 + len(columns)),
                        ('stacked, categories + fair-tagged topics', len(labels))):
        stage = LogisticRegression(C=1, max_iter=3000).fit(inner[:, :width], y[train])
        scores[name][test] = stage.decision_function(outer[:, :width])
print('topics:', [columns[i] for i in topics])
for name, s in scores.items():
    print(f'{name:48s} ROC-AUC {roc_auc_score(y, s):.4f}  best-threshold F1 {best_f1(y, s):.4f}')
