import multiprocessing


def double(x):
    return 2 * x


class Cruncher:
    def __init__(self, items):
        self.items = items

    def run(self):
        return self._map()

    def _map(self):
        with multiprocessing.Pool(2) as pool:
            return pool.map(double, self.items)

    @classmethod
    def quick(cls):
        return cls([5]).run()


cruncher = Cruncher([1, 2])
print("doubled", cruncher.run())
print("quick", Cruncher.quick())
