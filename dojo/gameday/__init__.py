"""gameday"""
