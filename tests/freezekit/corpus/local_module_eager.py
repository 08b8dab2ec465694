import localpkg.eager


def main():
    print("pool", localpkg.eager.POOL)


if __name__ == "__main__":
    main()
