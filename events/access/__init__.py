"""Access: who may publish or subscribe where, and why.

rules.py     what a rule is, which rules are valid, and which rule decides (pure)
question.py  the one answer to "may this principal do this on this topic, now or then, and why"
broker.py    the broker's side: logins, and the rules rendered for the broker to enforce itself
"""
