"""Telco churn: out-of-fold ROC-AUC and F1 of three scikit-learn learners over the shipped file (5-fold, 3 seeds)."""
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from common import data, line

frame = pd.read_csv(data('churn', 'ibm-telco', 'Telco-Customer-Churn.csv'))
frame['TotalCharges'] = pd.to_numeric(frame.TotalCharges, errors='coerce').fillna(0)
y = (frame.Churn == 'Yes').astype(int).values
x = pd.get_dummies(frame.drop(columns=['customerID', 'Churn'])).astype(float)
standardised = (x - x.mean()) / x.std().replace(0, 1)
learners = [
    ('logistic regression, L2 (C 0.1)', lambda: LogisticRegression(C=0.1, max_iter=3000), standardised),
    ('gradient-boosted trees (depth 3, 300, lr 0.05)',
     lambda: HistGradientBoostingClassifier(learning_rate=0.05, max_depth=3, max_iter=300), x),
    ('random forest (500 trees, leaf 10)',
     lambda: RandomForestClassifier(500, min_samples_leaf=10, n_jobs=2, random_state=0), x),
]
for seed in (1, 2, 3):
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    for name, make, features in learners:
        scores = cross_val_predict(make(), features, y, cv=folds, method='predict_proba')[:, 1]
        line(f'seed {seed}: {name}', y, scores)
