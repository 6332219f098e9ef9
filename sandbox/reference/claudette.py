"""CLAUDETTE: out-of-fold sentence F1 for is_potentially_unfair, folds by document (GroupKFold), scikit-learn."""
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC
from common import data, line, words_and_characters

frame = pd.read_csv(data('compliance', 'claudette-tos', 'tos_unfair_clauses_en.csv'), dtype=str).fillna('')
y = (frame.is_potentially_unfair == '1').astype(int).values
folds = GroupKFold(5)



models = [
    ('LR words', lambda: make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=3, sublinear_tf=True),
                                       LogisticRegression(C=10, max_iter=3000))),
    ('LR words+chars (C 10)', lambda: make_pipeline(words_and_characters(3), LogisticRegression(C=10, max_iter=3000))),
    ('SVM words+chars (C 0.3)', lambda: make_pipeline(words_and_characters(3), LinearSVC(C=0.3))),
    ('SVM words+chars (C 0.3, balanced)',
     lambda: make_pipeline(words_and_characters(3), LinearSVC(C=0.3, class_weight='balanced'))),
]
for name, make in models:
    scores = cross_val_predict(make(), frame.text, y, cv=folds, groups=frame.document, method='decision_function')
    line(name, y, scores, threshold=0)
