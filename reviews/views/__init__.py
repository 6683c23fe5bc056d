"""The pages of reviews: moderators' (cases), seniors' (appeals), the public appeal page."""
